;; Bodies compiled on their first call (test_exec.c, test_budget.c):
;; 'big' adds 256 distinct constants, so its code and constants take
;; kilobytes; the others reach it from the host, by a direct call and
;; through the table. Function indices: small 0, big 1, calls_big 2,
;; indirect_big 3. big returns 1001 + 1002 + ... + 1256 = 288896.
(module
  (type $v_i (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $big)
  (func $small (export "small") (result i32) (i32.const 1))
  (func $big (export "big") (result i32)
    i32.const 0
    i32.const 1001 i32.add  i32.const 1002 i32.add  i32.const 1003 i32.add
    i32.const 1004 i32.add  i32.const 1005 i32.add  i32.const 1006 i32.add
    i32.const 1007 i32.add  i32.const 1008 i32.add  i32.const 1009 i32.add
    i32.const 1010 i32.add  i32.const 1011 i32.add  i32.const 1012 i32.add
    i32.const 1013 i32.add  i32.const 1014 i32.add  i32.const 1015 i32.add
    i32.const 1016 i32.add  i32.const 1017 i32.add  i32.const 1018 i32.add
    i32.const 1019 i32.add  i32.const 1020 i32.add  i32.const 1021 i32.add
    i32.const 1022 i32.add  i32.const 1023 i32.add  i32.const 1024 i32.add
    i32.const 1025 i32.add  i32.const 1026 i32.add  i32.const 1027 i32.add
    i32.const 1028 i32.add  i32.const 1029 i32.add  i32.const 1030 i32.add
    i32.const 1031 i32.add  i32.const 1032 i32.add  i32.const 1033 i32.add
    i32.const 1034 i32.add  i32.const 1035 i32.add  i32.const 1036 i32.add
    i32.const 1037 i32.add  i32.const 1038 i32.add  i32.const 1039 i32.add
    i32.const 1040 i32.add  i32.const 1041 i32.add  i32.const 1042 i32.add
    i32.const 1043 i32.add  i32.const 1044 i32.add  i32.const 1045 i32.add
    i32.const 1046 i32.add  i32.const 1047 i32.add  i32.const 1048 i32.add
    i32.const 1049 i32.add  i32.const 1050 i32.add  i32.const 1051 i32.add
    i32.const 1052 i32.add  i32.const 1053 i32.add  i32.const 1054 i32.add
    i32.const 1055 i32.add  i32.const 1056 i32.add  i32.const 1057 i32.add
    i32.const 1058 i32.add  i32.const 1059 i32.add  i32.const 1060 i32.add
    i32.const 1061 i32.add  i32.const 1062 i32.add  i32.const 1063 i32.add
    i32.const 1064 i32.add  i32.const 1065 i32.add  i32.const 1066 i32.add
    i32.const 1067 i32.add  i32.const 1068 i32.add  i32.const 1069 i32.add
    i32.const 1070 i32.add  i32.const 1071 i32.add  i32.const 1072 i32.add
    i32.const 1073 i32.add  i32.const 1074 i32.add  i32.const 1075 i32.add
    i32.const 1076 i32.add  i32.const 1077 i32.add  i32.const 1078 i32.add
    i32.const 1079 i32.add  i32.const 1080 i32.add  i32.const 1081 i32.add
    i32.const 1082 i32.add  i32.const 1083 i32.add  i32.const 1084 i32.add
    i32.const 1085 i32.add  i32.const 1086 i32.add  i32.const 1087 i32.add
    i32.const 1088 i32.add  i32.const 1089 i32.add  i32.const 1090 i32.add
    i32.const 1091 i32.add  i32.const 1092 i32.add  i32.const 1093 i32.add
    i32.const 1094 i32.add  i32.const 1095 i32.add  i32.const 1096 i32.add
    i32.const 1097 i32.add  i32.const 1098 i32.add  i32.const 1099 i32.add
    i32.const 1100 i32.add  i32.const 1101 i32.add  i32.const 1102 i32.add
    i32.const 1103 i32.add  i32.const 1104 i32.add  i32.const 1105 i32.add
    i32.const 1106 i32.add  i32.const 1107 i32.add  i32.const 1108 i32.add
    i32.const 1109 i32.add  i32.const 1110 i32.add  i32.const 1111 i32.add
    i32.const 1112 i32.add  i32.const 1113 i32.add  i32.const 1114 i32.add
    i32.const 1115 i32.add  i32.const 1116 i32.add  i32.const 1117 i32.add
    i32.const 1118 i32.add  i32.const 1119 i32.add  i32.const 1120 i32.add
    i32.const 1121 i32.add  i32.const 1122 i32.add  i32.const 1123 i32.add
    i32.const 1124 i32.add  i32.const 1125 i32.add  i32.const 1126 i32.add
    i32.const 1127 i32.add  i32.const 1128 i32.add  i32.const 1129 i32.add
    i32.const 1130 i32.add  i32.const 1131 i32.add  i32.const 1132 i32.add
    i32.const 1133 i32.add  i32.const 1134 i32.add  i32.const 1135 i32.add
    i32.const 1136 i32.add  i32.const 1137 i32.add  i32.const 1138 i32.add
    i32.const 1139 i32.add  i32.const 1140 i32.add  i32.const 1141 i32.add
    i32.const 1142 i32.add  i32.const 1143 i32.add  i32.const 1144 i32.add
    i32.const 1145 i32.add  i32.const 1146 i32.add  i32.const 1147 i32.add
    i32.const 1148 i32.add  i32.const 1149 i32.add  i32.const 1150 i32.add
    i32.const 1151 i32.add  i32.const 1152 i32.add  i32.const 1153 i32.add
    i32.const 1154 i32.add  i32.const 1155 i32.add  i32.const 1156 i32.add
    i32.const 1157 i32.add  i32.const 1158 i32.add  i32.const 1159 i32.add
    i32.const 1160 i32.add  i32.const 1161 i32.add  i32.const 1162 i32.add
    i32.const 1163 i32.add  i32.const 1164 i32.add  i32.const 1165 i32.add
    i32.const 1166 i32.add  i32.const 1167 i32.add  i32.const 1168 i32.add
    i32.const 1169 i32.add  i32.const 1170 i32.add  i32.const 1171 i32.add
    i32.const 1172 i32.add  i32.const 1173 i32.add  i32.const 1174 i32.add
    i32.const 1175 i32.add  i32.const 1176 i32.add  i32.const 1177 i32.add
    i32.const 1178 i32.add  i32.const 1179 i32.add  i32.const 1180 i32.add
    i32.const 1181 i32.add  i32.const 1182 i32.add  i32.const 1183 i32.add
    i32.const 1184 i32.add  i32.const 1185 i32.add  i32.const 1186 i32.add
    i32.const 1187 i32.add  i32.const 1188 i32.add  i32.const 1189 i32.add
    i32.const 1190 i32.add  i32.const 1191 i32.add  i32.const 1192 i32.add
    i32.const 1193 i32.add  i32.const 1194 i32.add  i32.const 1195 i32.add
    i32.const 1196 i32.add  i32.const 1197 i32.add  i32.const 1198 i32.add
    i32.const 1199 i32.add  i32.const 1200 i32.add  i32.const 1201 i32.add
    i32.const 1202 i32.add  i32.const 1203 i32.add  i32.const 1204 i32.add
    i32.const 1205 i32.add  i32.const 1206 i32.add  i32.const 1207 i32.add
    i32.const 1208 i32.add  i32.const 1209 i32.add  i32.const 1210 i32.add
    i32.const 1211 i32.add  i32.const 1212 i32.add  i32.const 1213 i32.add
    i32.const 1214 i32.add  i32.const 1215 i32.add  i32.const 1216 i32.add
    i32.const 1217 i32.add  i32.const 1218 i32.add  i32.const 1219 i32.add
    i32.const 1220 i32.add  i32.const 1221 i32.add  i32.const 1222 i32.add
    i32.const 1223 i32.add  i32.const 1224 i32.add  i32.const 1225 i32.add
    i32.const 1226 i32.add  i32.const 1227 i32.add  i32.const 1228 i32.add
    i32.const 1229 i32.add  i32.const 1230 i32.add  i32.const 1231 i32.add
    i32.const 1232 i32.add  i32.const 1233 i32.add  i32.const 1234 i32.add
    i32.const 1235 i32.add  i32.const 1236 i32.add  i32.const 1237 i32.add
    i32.const 1238 i32.add  i32.const 1239 i32.add  i32.const 1240 i32.add
    i32.const 1241 i32.add  i32.const 1242 i32.add  i32.const 1243 i32.add
    i32.const 1244 i32.add  i32.const 1245 i32.add  i32.const 1246 i32.add
    i32.const 1247 i32.add  i32.const 1248 i32.add  i32.const 1249 i32.add
    i32.const 1250 i32.add  i32.const 1251 i32.add  i32.const 1252 i32.add
    i32.const 1253 i32.add  i32.const 1254 i32.add  i32.const 1255 i32.add
    i32.const 1256 i32.add)
  (func (export "calls_big") (result i32) (call $big))
  (func (export "indirect_big") (result i32)
    (call_indirect (type $v_i) (i32.const 0))))
